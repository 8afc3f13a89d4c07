import pytest

from gateway.throttle import LoginThrottle, TooManyAttempts


def attempt(throttle: LoginThrottle, user: str, client: str, *, ok: bool = False) -> None:
    throttle.begin(user, client)
    throttle.end(user, client, succeeded=ok)


def test_throttle_blocks_user_after_max_failures():
    throttle = LoginThrottle(max_failures=3, window_s=60)
    for _ in range(3):
        attempt(throttle, "ada", "10.0.0.1")
    with pytest.raises(TooManyAttempts) as info:
        throttle.begin("ADA", "10.0.0.2")  # user names compare case-insensitively
    assert info.value.retry_after_s >= 1


def test_throttle_counts_attempts_under_way_so_parallel_guesses_cannot_all_pass():
    throttle = LoginThrottle(max_failures=5, window_s=60)
    let_through = 0
    for _ in range(30):  # 30 guesses started before any has finished
        try:
            throttle.begin("ada", "10.0.0.1")
            let_through += 1
        except TooManyAttempts:
            pass
    assert let_through == 5
    for _ in range(let_through):
        throttle.end("ada", "10.0.0.1", succeeded=False)
    with pytest.raises(TooManyAttempts):
        throttle.begin("ada", "10.0.0.3")


def test_throttle_blocks_client_spraying_many_names():
    throttle = LoginThrottle(max_failures=2, window_s=60, per_client_factor=3)
    for n in range(6):
        attempt(throttle, f"user{n}", "10.0.0.9")
    with pytest.raises(TooManyAttempts):
        throttle.begin("fresh-name", "10.0.0.9")
    throttle.begin("fresh-name", "10.0.0.10")  # another address is not blocked


def test_throttle_success_clears_user_failures():
    throttle = LoginThrottle(max_failures=2, window_s=60)
    attempt(throttle, "ada", "a")
    attempt(throttle, "ada", "a", ok=True)
    attempt(throttle, "ada", "b")
    throttle.begin("ada", "c")  # one failure since the success: under the limit of 2, no raise


def test_throttle_window_expires(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("gateway.throttle.time.monotonic", lambda: now[0])
    throttle = LoginThrottle(max_failures=1, window_s=10)
    attempt(throttle, "ada", "a")
    with pytest.raises(TooManyAttempts):
        throttle.begin("ada", "a")
    now[0] += 10
    throttle.begin("ada", "a")


def test_forwarded_for_is_believed_only_from_configured_proxies(tmp_path):
    from gateway.__main__ import uvicorn_options
    from gateway.config import GatewaySettings

    base = {"auth_key_path": tmp_path / "k.pem", "auth_users_path": tmp_path / "u.json", "blob_root": tmp_path}
    none = uvicorn_options(GatewaySettings(**base))
    assert none["proxy_headers"] is False and none["forwarded_allow_ips"] == ""
    some = uvicorn_options(GatewaySettings(**base, trusted_proxies=["10.244.0.0/16"]))
    assert some["proxy_headers"] is True and some["forwarded_allow_ips"] == "10.244.0.0/16"


def test_rate_limiter_lets_burst_through_then_refuses_with_retry_after(monkeypatch):
    from gateway.throttle import RateLimited, RateLimiter

    now = [500.0]
    monkeypatch.setattr("gateway.throttle.time.monotonic", lambda: now[0])
    limiter = RateLimiter(per_minute=30, burst=5)  # one token every 2 s
    for _ in range(5):
        limiter.take("app:partner-a")
    with pytest.raises(RateLimited) as info:
        limiter.take("app:partner-a")
    assert info.value.status_code == 429 and info.value.code == "rate_limited"
    assert info.value.retry_after_s == 2
    limiter.take("app:partner-b")  # another caller has its own bucket
    now[0] += 2
    limiter.take("app:partner-a")  # one token back after Retry-After
    with pytest.raises(RateLimited):
        limiter.take("app:partner-a")


def test_rate_limiter_bucket_never_fills_past_burst(monkeypatch):
    from gateway.throttle import RateLimited, RateLimiter

    now = [0.0]
    monkeypatch.setattr("gateway.throttle.time.monotonic", lambda: now[0])
    limiter = RateLimiter(per_minute=60, burst=3)
    limiter.take("user:ada")
    now[0] += 3600  # an hour idle refills to the burst, not to 3,600
    for _ in range(3):
        limiter.take("user:ada")
    with pytest.raises(RateLimited):
        limiter.take("user:ada")


def test_caller_key_is_app_id_for_app_tokens_user_for_people_address_without_token():
    from ailurus_common.auth import Principal, Role
    from gateway.throttle import caller_key

    app = Principal.from_claims({"sub": "sp-object-id", "azp": "partner-client-id", "idtyp": "app",
                                 "roles": [Role.VIEWER.value]})
    v1_app = Principal.from_claims({"oid": "sp-object-id", "appid": "v1-client-id", "roles": []})
    person = Principal.from_claims({"oid": "user-oid", "azp": "dashboard-client-id", "scp": "access"})
    assert caller_key(app, "10.0.0.1") == "app:partner-client-id"
    assert caller_key(v1_app, "10.0.0.1") == "app:v1-client-id"
    assert caller_key(person, "10.0.0.1") == "user:user-oid"  # every user of the dashboard app has their own
    assert caller_key(None, "10.0.0.1") == "address:10.0.0.1"
