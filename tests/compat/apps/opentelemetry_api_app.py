# opentelemetry-api: the no-op providers, context and propagators loaded
# through entry points (opentelemetry_context / opentelemetry_propagator).
from opentelemetry import trace, context, propagate, baggage, metrics
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.trace import SpanContext, TraceFlags, NonRecordingSpan
print(type(trace.get_tracer_provider()).__name__, type(metrics.get_meter_provider()).__name__)
t = trace.get_tracer("x")
with t.start_as_current_span("s") as s:
    print(type(s).__name__, s.is_recording())
sc = SpanContext(trace_id=0x1234, span_id=0x5678, is_remote=False, trace_flags=TraceFlags(1))
ctx = trace.set_span_in_context(NonRecordingSpan(sc))
carrier = {}
TraceContextTextMapPropagator().inject(carrier, ctx)
print(carrier)
back = TraceContextTextMapPropagator().extract(carrier)
print(hex(trace.get_current_span(back).get_span_context().trace_id))
print(type(propagate.get_global_textmap()).__name__, [type(p).__name__ for p in propagate.get_global_textmap()._propagators])
tok = context.attach(baggage.set_baggage("a", "1"))
print(baggage.get_all()); context.detach(tok); print(baggage.get_all())
print(type(context._RUNTIME_CONTEXT).__name__)
