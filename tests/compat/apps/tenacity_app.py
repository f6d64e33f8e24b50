# tenacity: retry decorators with stop/wait/retry conditions (no real sleep),
# async retry, statistics.
import asyncio
import tenacity
from tenacity import retry, stop_after_attempt, wait_fixed, retry_if_exception_type, RetryError
n = {"c": 0}
@retry(stop=stop_after_attempt(4), wait=wait_fixed(0), retry=retry_if_exception_type(ValueError), sleep=lambda s: None)
def flaky():
    n["c"] += 1
    if n["c"] < 3:
        raise ValueError("fail %d" % n["c"])
    return "ok at %d" % n["c"]
print(flaky(), flaky.statistics["attempt_number"])
@retry(stop=stop_after_attempt(2), sleep=lambda s: None)
def always():
    raise KeyError("k")
try:
    always()
except RetryError as e:
    print("RetryError", repr(e.last_attempt.exception()))
@retry(stop=stop_after_attempt(3), retry=tenacity.retry_if_result(lambda r: r < 2), sleep=lambda s: None)
def res(state=[0]):
    state[0] += 1
    return state[0]
print(res())
async def main():
    c = 0
    async for attempt in tenacity.AsyncRetrying(stop=stop_after_attempt(3), sleep=lambda s: asyncio.sleep(0)):
        with attempt:
            c += 1
            if c < 2:
                raise OSError
    print("async attempts", c)
asyncio.run(main())
print([round(tenacity.wait_exponential(multiplier=1, max=10)(tenacity.RetryCallState(None, None, (), {})) , 2)])
