# MarkupSafe: escape/Markup with the C speedups.
from markupsafe import Markup, escape, soft_str
import markupsafe
print(escape("<script>alert('x') & \"y\"</script>"))
m = Markup("<b>%s</b>") % "<i>"
print(m, m.striptags(), Markup("<em>a</em> &amp; b").unescape())
print(Markup("{0} and {name}").format("<x>", name="<y>"))
print(Markup(", ").join(["<a>", Markup("<b>")]))
print(markupsafe._speedups.__name__ if hasattr(markupsafe, "_speedups") else "no speedups")
class H:
    def __html__(self): return "<safe/>"
print(escape(H()), soft_str(3))
