# pydantic v2: models, validation errors, JSON schema, serialisation,
# TypeAdapter, settings-like validators, dataclasses.
import datetime, enum, uuid
from typing import Optional, Literal, Annotated
from pydantic import (BaseModel, Field, ValidationError, TypeAdapter,
                      field_validator, model_validator, computed_field, EmailStr)
from pydantic.dataclasses import dataclass

class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"

class Address(BaseModel):
    city: str
    zip: Annotated[str, Field(pattern=r"^\d{5}$")]

class User(BaseModel):
    id: int
    name: str = Field(min_length=2)
    tags: list[str] = []
    color: Color = Color.RED
    born: Optional[datetime.date] = None
    address: Optional[Address] = None
    kind: Literal["a", "b"] = "a"

    @field_validator("name")
    @classmethod
    def title(cls, v):
        return v.title()

    @computed_field
    @property
    def label(self) -> str:
        return "%s#%d" % (self.name, self.id)

u = User(id="7", name="ada lovelace", tags=["x"], born="1815-12-10",
         address={"city": "London", "zip": "12345"})
print(u)
print(u.model_dump_json())
print(User.model_validate_json('{"id": 1, "name": "bob", "color": "blue"}').color)
try:
    User(id="x", name="a", address={"city": 1, "zip": "1"})
except ValidationError as e:
    print(e.error_count(), [(err["loc"], err["type"]) for err in e.errors()])
schema = User.model_json_schema()
print(sorted(schema["properties"]), schema["required"])
ta = TypeAdapter(list[tuple[int, float]])
print(ta.validate_python([("1", "2.5")]), ta.dump_json([(1, 2.0)]))

@dataclass
class DC:
    a: int
    b: str = "x"
print(DC(a="3"))
print(TypeAdapter(uuid.UUID).validate_python("12345678123456781234567812345678"))
