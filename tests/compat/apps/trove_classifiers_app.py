# trove-classifiers: the classifier list and validation.
from trove_classifiers import classifiers, sorted_classifiers, deprecated_classifiers
print(len(classifiers) > 500, "Programming Language :: Python :: 3.11" in classifiers)
print(sorted_classifiers[:2], sorted(deprecated_classifiers)[:1])
print("Framework :: Django" in classifiers, "Made Up :: Thing" in classifiers)
