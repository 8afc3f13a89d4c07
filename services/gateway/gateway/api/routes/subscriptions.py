"""``/api/v1/subscriptions``: webhook subscriptions (admins only), validated here, kept and
delivered by the notifier. Secrets go in and never come out.

A subscription is coarse unless an admin signed in as a person asks for ``exact``: an
app-only token (a partner's, even with the admin role) cannot subscribe to exact positions.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from ailurus_common.auth import Role
from ailurus_common.auth.errors import Forbidden
from ailurus_common.contracts.events import (
    DeliveryList,
    Subscription,
    SubscriptionCreate,
    SubscriptionList,
    SubscriptionRequest,
)
from gateway.api.deps import CurrentPrincipal, NotifierDep
from gateway.auth import require

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"], dependencies=[Depends(require(Role.ADMIN))])
SubscriptionId = Path(pattern=r"^[0-9a-f]{32}$")


@router.post("", status_code=201, response_model=Subscription)
async def create_subscription(body: SubscriptionCreate, notifier: NotifierDep,
                              principal: CurrentPrincipal) -> Subscription:
    """Subscribe a webhook to events (``types`` empty: all), optionally one trap or group.
    The URL must be public (SSRF check) and answer the CloudEvents validation handshake."""
    if body.precision == "exact" and principal.app_only:
        raise Forbidden("exact-precision subscriptions need an admin signed in as a person")
    return await notifier.create_subscription(
        SubscriptionRequest(**body.model_dump(), created_by=principal.subject))


@router.get("", response_model=SubscriptionList)
async def list_subscriptions(notifier: NotifierDep) -> SubscriptionList:
    return await notifier.list_subscriptions()


@router.get("/{subscription_id}", response_model=Subscription)
async def get_subscription(notifier: NotifierDep, subscription_id: str = SubscriptionId) -> Subscription:
    return await notifier.get_subscription(subscription_id)


@router.delete("/{subscription_id}", status_code=204)
async def delete_subscription(notifier: NotifierDep, subscription_id: str = SubscriptionId) -> Response:
    await notifier.delete_subscription(subscription_id)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=DeliveryList)
async def list_deliveries(notifier: NotifierDep, subscription_id: str = SubscriptionId,
                          status: Literal["pending", "delivered", "dead_lettered"] | None = None,
                          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> DeliveryList:
    """The delivery log, newest first; ``status=dead_lettered`` is the dead-letter list."""
    return await notifier.deliveries(subscription_id, status=status, limit=limit)
