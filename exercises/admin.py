from django.contrib import admin

from .cache import catalogue_changed
from .models import Contraindication, Exercise, Routine, RoutineStep


class CatalogueAdmin(admin.ModelAdmin):
    """Every save or delete here makes the site show the change at once."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        catalogue_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalogue_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalogue_changed()


class RoutineStepInline(admin.TabularInline):
    model = RoutineStep
    extra = 0
    autocomplete_fields = ["exercise"]
    fields = [
        "order",
        "exercise",
        "repetitions",
        "hold_seconds",
        "each_side",
        "duration_min_minutes",
        "duration_max_minutes",
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

    @admin.display(description="Steps")
    def step_count(self, routine):
        return len(routine.steps.all())


@admin.register(Exercise)
class ExerciseAdmin(CatalogueAdmin):
    list_display = ["name", "slug", "position"]
    list_filter = ["contraindications", "steps__routine"]
    search_fields = ["name", "position", "instructions"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["contraindications"]


@admin.register(Contraindication)
class ContraindicationAdmin(CatalogueAdmin):
    list_display = ["title", "severity", "screening_question"]
    list_filter = ["severity"]
    search_fields = ["title", "description", "screening_question"]
    prepopulated_fields = {"slug": ["title"]}
