from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.forms import Script
from modeltranslation.admin import TranslationAdmin
from modeltranslation.utils import build_localized_fieldname

from .cache import catalogue_changed
from .models import Contraindication, Exercise, Routine, RoutineStep
from .pictures import clean_picture, picture_replaced, pictures_deleted

ANSWERED = (
    "People have answered its screening question. Their answers are kept, so it "
    "cannot be deleted: edit it, or tick Retired so it is no longer shown or asked."
)


class CatalogueAdmin(TranslationAdmin):
    """
    Every save or delete here makes the site show the change at once. Each
    text has a field per language (exercises/translation.py), English first
    and required. (modeltranslation's tabs load jQuery UI from a CDN, which
    the site's offline use and its CSP rule out.)
    """

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        catalogue_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalogue_changed()

    def delete_queryset(self, request, queryset):
        # The admin's delete action runs outside a transaction of its own.
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            catalogue_changed()


class RoutineStepInline(admin.TabularInline):
    model = RoutineStep
    extra = 0

    class Media:
        # Up and down buttons beside each step's order number.
        js = [Script("js/admin-step-order.js", type="module")]
        css = {"all": ["css/admin-steps.css"]}

    autocomplete_fields = ["exercise"]
    fields = [
        "order",
        "exercise",
        "repetitions",
        "hold_seconds",
        "each_side",
        "duration_min_minutes",
        "duration_max_minutes",
        "rest_seconds",
        "switch_seconds",
    ]


@admin.register(Routine)
class RoutineAdmin(CatalogueAdmin):
    list_display = ["title", "kind", "level", "step_count"]
    list_filter = ["kind"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["contraindications"]
    inlines = [RoutineStepInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("steps")

    def save_formset(self, request, form, formset, change):
        if formset.model is RoutineStep:
            # Steps that change place (or go) first leave their old places,
            # so that any reordering saves in one go.
            leaving = [
                inline.instance.pk
                for inline in formset.initial_forms
                if inline in formset.deleted_forms or "order" in inline.changed_data
            ]
            RoutineStep.objects.filter(pk__in=leaving).park()
        super().save_formset(request, form, formset, change)

    @admin.display(description="Steps")
    def step_count(self, routine):
        return len(routine.steps.all())


class ExercisePictureForm(forms.ModelForm):
    """The exercise's form, with its picture checked by exercises.pictures."""

    class Meta:
        model = Exercise
        fields = [
            "slug",
            "name",
            "position",
            "instructions",
            "cues",
            "contraindications",
            "picture",
            "picture_alt",
        ]
        # A plain file field: Django's image field would refuse a bad upload
        # with one vague message before clean_picture could say what is wrong.
        field_classes = {"picture": forms.FileField}

    def clean_picture(self):
        picture = self.cleaned_data["picture"]
        if isinstance(picture, UploadedFile):  # a new upload, not the kept one
            return clean_picture(picture)  # as Pillow re-encodes it
        return picture

    def clean(self):
        cleaned_data = super().clean()
        # In English at least: the other languages fall back to it.
        alt = build_localized_fieldname("picture_alt", settings.LANGUAGE_CODE)
        if cleaned_data.get("picture") and not cleaned_data.get(alt):
            self.add_error(
                alt,
                ValidationError(
                    "Say in a sentence what the picture shows: it is read aloud "
                    "to people who cannot see it.",
                    code="alt_required",
                ),
            )
        return cleaned_data


@admin.register(Exercise)
class ExerciseAdmin(CatalogueAdmin):
    form = ExercisePictureForm
    list_display = ["name", "slug", "position"]
    list_filter = ["contraindications", "steps__routine"]
    search_fields = ["name", "position", "instructions"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["contraindications"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "picture" in form.changed_data:
            previous = form.initial.get("picture")
            picture_replaced(obj, previous=previous.name if previous else "")

    def delete_model(self, request, obj):
        pictures_deleted([obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        pictures_deleted(list(queryset))
        super().delete_queryset(request, queryset)


@admin.register(Contraindication)
class ContraindicationAdmin(CatalogueAdmin):
    list_display = ["title", "severity", "screening_question", "retired"]
    list_filter = ["severity", "retired"]
    search_fields = ["title", "description", "screening_question"]
    prepopulated_fields = {"slug": ["title"]}

    def get_deleted_objects(self, objs, request):
        """
        A warning people answered is protected by their answers. Instead of
        listing the answers (editors see nothing about people, not even how
        many there are), say why and what to do instead; Django refuses the
        deletion while anything is listed as protected.
        """
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        answered = Contraindication.objects.filter(
            pk__in=[obj.pk for obj in objs], answers__isnull=False
        ).distinct()
        several = len(objs) > 1
        reasons = [
            f"{warning.title}: {ANSWERED}" if several else ANSWERED
            for warning in answered
        ]
        return deleted, counts, perms_needed, reasons or protected
