# litellm: completion with mock responses (no network), the bundled model
# cost map, token counting with the bundled tiktoken/tokenizer files,
# exception mapping, the Router.
import os
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ.setdefault("LITELLM_LOG", "ERROR")
import litellm
r = litellm.completion(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}],
                       mock_response="Hello from the mock")
print(r.choices[0].message.content, r.choices[0].finish_reason, r.model)
print(litellm.token_counter(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello world, how are you?"}]))
print(litellm.token_counter(model="claude-3-5-sonnet-20240620", text="tokenize this sentence please"))
info = litellm.get_model_info("gpt-4o-mini")
print(info["max_input_tokens"], info["litellm_provider"])
print(round(litellm.completion_cost(completion_response=r), 10) >= 0)
print(litellm.get_llm_provider("anthropic/claude-3-haiku-20240307")[1])
try:
    litellm.completion(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}],
                       mock_response=litellm.RateLimitError(message="slow down", llm_provider="openai", model="gpt-4o-mini"))
except litellm.RateLimitError as e:
    print("RateLimitError", e.status_code)
router = litellm.Router(model_list=[{"model_name": "m", "litellm_params": {"model": "gpt-4o-mini", "mock_response": "routed"}}])
print(router.completion(model="m", messages=[{"role": "user", "content": "x"}]).choices[0].message.content)
