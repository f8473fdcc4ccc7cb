from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from ..export import csv_lines, json_chunks


def attachment(response, name, extension):
    filename = f"backcare-{name}-{timezone.localdate().isoformat()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_safe
def export_csv(request):
    response = StreamingHttpResponse(
        csv_lines(request.user), content_type="text/csv; charset=utf-8"
    )
    return attachment(response, "sessions", "csv")


@login_required
@require_safe
def export_json(request):
    response = StreamingHttpResponse(
        json_chunks(request.user), content_type="application/json"
    )
    return attachment(response, "data", "json")
