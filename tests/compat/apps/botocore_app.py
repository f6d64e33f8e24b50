# botocore: loaders for the JSON service models, client creation, request
# signing (SigV4 with a pinned clock), param validation, a stubbed call.
import datetime
from unittest import mock
import botocore.session
from botocore.awsrequest import AWSRequest
from botocore.auth import SigV4Auth
from botocore.credentials import Credentials
from botocore.stub import Stubber
from botocore.exceptions import ParamValidationError, ClientError

s = botocore.session.get_session()
s.set_credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
loader = s.get_component("data_loader")
model = loader.load_service_model("dynamodb", "service-2")
print(model["metadata"]["protocol"], len(model["operations"]) > 30)
ep = loader.load_data("endpoints")
print("partitions" in ep)
c = s.create_client("sqs", region_name="eu-west-1")
print(c.meta.endpoint_url, c.meta.service_model.service_name)
req = AWSRequest(method="GET", url="https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
                 headers={"Host": "iam.amazonaws.com",
                          "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
fixed = datetime.datetime(2015, 8, 30, 12, 36, 0)
with mock.patch("botocore.auth.get_current_datetime", return_value=fixed):
    SigV4Auth(Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
              "iam", "us-east-1").add_auth(req)
print(req.headers["Authorization"])
try:
    c.send_message(QueueUrl="q")
except ParamValidationError as e:
    print("invalid:", "MessageBody" in str(e))
with Stubber(c) as st:
    st.add_client_error("get_queue_url", service_error_code="AWS.SimpleQueueService.NonExistentQueue",
                        http_status_code=400)
    try:
        c.get_queue_url(QueueName="nope")
    except ClientError as e:
        print("client error", e.response["Error"]["Code"])
print(s.get_available_regions("ec2")[:3])
