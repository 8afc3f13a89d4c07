"""Webhook subscriptions and their delivery log (the gateway's admin API routes here)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from notifier.api.deps import ClientDep, SettingsDep, StoreDep
from notifier.errors import SubscriptionNotFound
from notifier.schemas import DeliveryList, Subscription, SubscriptionList, SubscriptionRequest
from notifier.webhook import check_target, handshake

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


@router.post("", response_model=Subscription, status_code=201)
async def create_subscription(body: SubscriptionRequest, store: StoreDep, settings: SettingsDep,
                              client: ClientDep) -> Subscription:
    """Checked against SSRF and validated by the CloudEvents handshake before it is kept."""
    target = await check_target(str(body.url), settings.webhook_allowed_hosts)
    await handshake(client, target, settings.webhook_origin)
    return await store.create_subscription(body, created_by=body.created_by)


@router.get("", response_model=SubscriptionList)
async def list_subscriptions(store: StoreDep) -> SubscriptionList:
    return SubscriptionList(items=await store.list_subscriptions())


async def _subscription(store, subscription_id: str) -> Subscription:
    subscription = await store.get_subscription(subscription_id)
    if subscription is None:
        raise SubscriptionNotFound(f"no subscription {subscription_id}")
    return subscription


@router.get("/{subscription_id}", response_model=Subscription)
async def get_subscription(subscription_id: str, store: StoreDep) -> Subscription:
    return await _subscription(store, subscription_id)


@router.delete("/{subscription_id}", status_code=204)
async def delete_subscription(subscription_id: str, store: StoreDep) -> Response:
    if not await store.delete_subscription(subscription_id):
        raise SubscriptionNotFound(f"no subscription {subscription_id}")
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=DeliveryList)
async def list_deliveries(subscription_id: str, store: StoreDep,
                          status: Literal["pending", "delivered", "dead_lettered"] | None = None,
                          limit: Annotated[int, Query(ge=1, le=500)] = 100) -> DeliveryList:
    """The delivery log, newest first; ``status=dead_lettered`` is the dead-letter list."""
    await _subscription(store, subscription_id)
    return DeliveryList(items=await store.deliveries(subscription_id, status=status, limit=limit))
