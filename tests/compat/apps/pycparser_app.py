# pycparser: parse C into an AST (with its generated lextab/yacctab tables),
# visit it, regenerate C.
from pycparser import c_parser, c_ast, c_generator
src = r"""
typedef struct node { int value; struct node *next; } node_t;
int sum(node_t *n) { int s = 0; while (n) { s += n->value; n = n->next; } return s; }
static const char *names[] = {"a", "b"};
enum color { RED, GREEN = 5, BLUE };
"""
ast = c_parser.CParser().parse(src, filename="<demo>")
class V(c_ast.NodeVisitor):
    def __init__(self): self.funcs, self.ids = [], set()
    def visit_FuncDef(self, node):
        self.funcs.append(node.decl.name); self.generic_visit(node)
    def visit_ID(self, node): self.ids.add(node.name)
v = V(); v.visit(ast)
print(v.funcs, sorted(v.ids))
print([type(e).__name__ for e in ast.ext])
print(c_generator.CGenerator().visit(ast))
