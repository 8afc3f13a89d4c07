"""``/api/v1/telemetry``: the dashboard's timings and errors, forwarded as spans."""

from fastapi import APIRouter, Request, status

from gateway.browser_telemetry import record_browser_events
from gateway.schemas import BrowserTelemetry, TelemetryReceipt

router = APIRouter(prefix="/telemetry", tags=["telemetry"])


@router.post("", response_model=TelemetryReceipt, status_code=status.HTTP_202_ACCEPTED)
async def post_telemetry(body: BrowserTelemetry, request: Request) -> TelemetryReceipt:
    """Page-load and upload timings and JavaScript errors from the signed-in dashboard. The
    dashboard sends them only while ``/api/v1/ui/config`` says ``telemetry: true``."""
    recorded = request.app.state.tracing.enabled
    if recorded:
        record_browser_events(body.events)
    return TelemetryReceipt(accepted=len(body.events), recorded=recorded)
