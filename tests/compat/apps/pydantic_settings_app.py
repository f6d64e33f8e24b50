# pydantic-settings: settings from env vars, a .env file and secrets dir,
# nested delimiters, prefixes, CLI parsing.
import os, tempfile
from typing import Optional
from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
d = tempfile.mkdtemp()
with open(os.path.join(d, ".env"), "w") as f:
    f.write("APP_DEBUG=true\nAPP_DB__HOST=db.local\n")
os.makedirs(os.path.join(d, "secrets"))
with open(os.path.join(d, "secrets", "app_token"), "w") as f:
    f.write("s3cr3t")
os.environ.update({"APP_NAME": "demo", "APP_DB__PORT": "5433", "APP_TAGS": '["a", "b"]'})
class DB(BaseModel):
    host: str = "localhost"
    port: int = 5432
class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", env_nested_delimiter="__", env_file=os.path.join(d, ".env"),
                                      secrets_dir=os.path.join(d, "secrets"))
    name: str
    debug: bool = False
    db: DB = DB()
    tags: list[str] = []
    token: Optional[SecretStr] = None
s = Settings()
print(s.name, s.debug, s.db, s.tags, s.token, s.token.get_secret_value())
class Cli(BaseSettings, cli_parse_args=["--count", "3", "--name", "x"]):
    count: int = 1
    name: str = "n"
print(Cli().model_dump())
