"""``NotifierClient``: the notifier's subscription API (``/v1/subscriptions``), contract models in and out."""

from ailurus_common.auth.service import ServiceTokens
from ailurus_common.clients.base import ServiceClient
from ailurus_common.contracts.events import DeliveryList, Subscription, SubscriptionList, SubscriptionRequest


class NotifierClient(ServiceClient):
    service = "notifier"

    def __init__(self, base_url: str, *, timeout_s: float, tokens: ServiceTokens) -> None:
        super().__init__(base_url, timeout_s=timeout_s, max_connections=8, tokens=tokens)

    async def create_subscription(self, body: SubscriptionRequest) -> Subscription:
        return await self._call("POST", "/v1/subscriptions", Subscription, body=body)

    async def list_subscriptions(self) -> SubscriptionList:
        return await self._call("GET", "/v1/subscriptions", SubscriptionList)

    async def get_subscription(self, subscription_id: str) -> Subscription:
        return await self._call("GET", f"/v1/subscriptions/{subscription_id}", Subscription)

    async def delete_subscription(self, subscription_id: str) -> None:
        await self._call("DELETE", f"/v1/subscriptions/{subscription_id}")

    async def deliveries(self, subscription_id: str, *, status: str | None, limit: int) -> DeliveryList:
        params = {"limit": limit, **({"status": status} if status else {})}
        return await self._call("GET", f"/v1/subscriptions/{subscription_id}/deliveries", DeliveryList, params=params)
