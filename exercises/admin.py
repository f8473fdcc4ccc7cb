from django.contrib import admin

from .models import Contraindication, Exercise, Routine, RoutineStep


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
class RoutineAdmin(admin.ModelAdmin):
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
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_filter = ["contraindications", "steps__routine"]
    search_fields = ["name", "position", "instructions"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["contraindications"]


@admin.register(Contraindication)
class ContraindicationAdmin(admin.ModelAdmin):
    list_display = ["title", "severity", "screening_question"]
    list_filter = ["severity"]
    search_fields = ["title", "description", "screening_question"]
    prepopulated_fields = {"slug": ["title"]}
