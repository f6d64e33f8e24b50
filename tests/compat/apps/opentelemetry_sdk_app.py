# opentelemetry-sdk: tracer provider with an in-memory exporter, resources,
# metrics with an in-memory reader, context propagation (entry points).
from opentelemetry import trace, metrics, context, propagate, baggage
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
exp = InMemorySpanExporter()
tp = TracerProvider(resource=Resource.create({"service.name": "demo"}))
tp.add_span_processor(SimpleSpanProcessor(exp))
tracer = tp.get_tracer("demo.tracer")
with tracer.start_as_current_span("parent", attributes={"k": 1}) as p:
    with tracer.start_as_current_span("child") as c:
        c.add_event("evt", {"n": 2})
        carrier = {}
        propagate.inject(carrier)
        print(sorted(carrier), carrier["traceparent"].split("-")[0])
spans = exp.get_finished_spans()
print([s.name for s in spans], spans[0].parent.span_id == spans[1].context.span_id, spans[1].attributes["k"])
print(spans[1].resource.attributes["service.name"], spans[1].resource.attributes["telemetry.sdk.name"])
reader = InMemoryMetricReader()
mp = MeterProvider(metric_readers=[reader])
ctr = mp.get_meter("m").create_counter("requests")
ctr.add(3, {"route": "/"}); ctr.add(2, {"route": "/"})
data = reader.get_metrics_data()
pt = data.resource_metrics[0].scope_metrics[0].metrics[0].data.data_points[0]
print(pt.value, dict(pt.attributes))
ctx = baggage.set_baggage("user", "u1")
print(baggage.get_baggage("user", ctx), type(context.get_current()).__name__)
print(type(context._RUNTIME_CONTEXT).__name__)
