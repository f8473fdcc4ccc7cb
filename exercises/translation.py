"""
The catalogue's texts in every language of settings.LANGUAGES: for each field
named here django-modeltranslation adds a column per language (``title_en_gb``,
``title_zh_hans``) on the same table, and ``title`` reads the current
language's, falling back to English; English is required, as the
original field was. fixtures/catalogue.json names the
columns; the admin shows a tab per language.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import Contraindication, Exercise, Routine


@register(Contraindication)
class ContraindicationTranslation(TranslationOptions):
    fields = ("title", "description", "screening_question")
    required_languages = ("en-gb",)


@register(Exercise)
class ExerciseTranslation(TranslationOptions):
    fields = ("name", "position", "instructions", "cues", "picture_alt")
    required_languages = ("en-gb",)


@register(Routine)
class RoutineTranslation(TranslationOptions):
    fields = ("title", "summary", "cues")
    required_languages = ("en-gb",)
