# rpds-py: persistent HashTrieMap/Set, List (Rust extension).
from rpds import HashTrieMap, HashTrieSet, List, Queue
m = HashTrieMap({"a": 1})
m2 = m.insert("b", 2).discard("a")
print(sorted(m.items()), sorted(m2.items()), m2.get("b"), len(m2))
s = HashTrieSet([1, 2]).insert(3)
print(sorted(s), 2 in s, sorted(s.remove(1)))
l = List([1, 2, 3]).push_front(0)
print(list(l), l.first, list(l.rest), list(Queue([1]).enqueue(2)))
