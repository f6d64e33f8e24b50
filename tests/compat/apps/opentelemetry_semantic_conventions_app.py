# opentelemetry-semantic-conventions: attribute name constants and enums.
from opentelemetry.semconv.trace import SpanAttributes
from opentelemetry.semconv.resource import ResourceAttributes
from opentelemetry.semconv.attributes import http_attributes, service_attributes, url_attributes
from opentelemetry.semconv._incubating.attributes import db_attributes
print(SpanAttributes.HTTP_METHOD, ResourceAttributes.SERVICE_NAME)
print(http_attributes.HTTP_REQUEST_METHOD, http_attributes.HttpRequestMethodValues.GET.value)
print(service_attributes.SERVICE_VERSION, url_attributes.URL_FULL, db_attributes.DB_SYSTEM)
from opentelemetry.semconv.schemas import Schemas
print(sorted(s.value for s in Schemas)[-1].startswith("https://opentelemetry.io/schemas/"))
