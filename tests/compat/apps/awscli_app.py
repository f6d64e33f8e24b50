# awscli: the `aws` driver run in-process on offline commands (skeleton
# generation from the service models, help-free argument parsing, configure
# list from env credentials, s3 presign with a pinned clock).
import os, sys, io, contextlib, datetime
from unittest import mock
os.environ.update({"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                   "AWS_DEFAULT_REGION": "us-west-2", "AWS_CONFIG_FILE": "/nonexistent/config",
                   "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/creds", "AWS_PAGER": ""})
from awscli.clidriver import create_clidriver
def aws(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = create_clidriver().main(list(args))
    return rc, out.getvalue(), err.getvalue()
rc, out, err = aws("ec2", "run-instances", "--generate-cli-skeleton")
print(rc, out.splitlines()[:4])
rc, out, err = aws("dynamodb", "put-item", "--table-name", "t", "--item", '{"a": {"S": "x"}}', "--generate-cli-skeleton", "output")
print(rc, out.strip()[:60])
rc, out, err = aws("configure", "list")
print(rc, [l.split()[0:2] for l in out.splitlines()[2:]])
# s3 presign signs with SigV2 here (Expires = time.time() + 60) or SigV4: pin both clocks.
with mock.patch("botocore.auth.get_current_datetime", return_value=datetime.datetime(2024, 1, 1)), \
        mock.patch("time.time", return_value=1700000000.0):
    rc, out, err = aws("s3", "presign", "s3://bucket/key", "--expires-in", "60")
print(rc, out.strip())
rc, out, err = aws("s3", "ls", "--bogus-option")
print(rc, err.strip().splitlines()[-1])
