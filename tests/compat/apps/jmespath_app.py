# jmespath: compile and search expressions with functions and projections.
import jmespath
data = {"people": [{"name": "a", "age": 30, "tags": ["x"]}, {"name": "b", "age": 25, "tags": []},
                   {"name": "c", "age": 35, "tags": ["y", "z"]}], "meta": {"count": 3}}
for e in ["people[?age > `28`].name", "sort_by(people, &age)[*].name", "max_by(people, &age).name",
          "people[*].{n: name, t: length(tags)}", "meta.count", "people[0:2].name | join(',', @)",
          "people[].tags[]"]:
    print(e, "->", jmespath.search(e, data))
expr = jmespath.compile("foo.bar")
print(expr.search({"foo": {"bar": 1}}), type(expr).__name__)
try:
    jmespath.compile("people[?")
except jmespath.exceptions.ParseError as e:
    print("ParseError", e.lex_position)
