from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from . import services
from .models import CompletedSession, StepResult, User


@admin.register(User)
class BackCareUserAdmin(UserAdmin):
    fieldsets = [*UserAdmin.fieldsets, ("BackCare", {"fields": ["weekly_target"]})]

    def get_deleted_objects(self, objs, request):
        # Sessions cannot be deleted one by one in admin, but deleting a person
        # (an erasure request) takes every record of theirs with them.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        perms_needed.discard(CompletedSession._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        services.user_delete(user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.user_delete(user=user)

    def log_deletions(self, request, queryset):
        # An erasure leaves nothing that names the person, the admin's log included.
        pass


class StepResultInline(admin.TabularInline):
    model = StepResult
    fields = ["order", "exercise_name", "outcome"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CompletedSession)
class CompletedSessionAdmin(admin.ModelAdmin):
    """People's records are read, never edited, by staff."""

    list_display = ["routine_title", "user", "started_at", "pain_before", "pain_after"]
    list_filter = ["routine", "started_at"]
    date_hierarchy = "started_at"
    search_fields = ["user__username", "routine_title"]
    view_on_site = False
    list_select_related = ["user"]
    inlines = [StepResultInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
