"""What the end-to-end tests share besides fixtures: driving the `superstore`
binary, databases and topics of a test's own, Confluent-serialized sales, the
real dataset, reading `/metrics`, and stacks of a test's own (a 3-broker
cluster, the secure stack). A package of its own, so that test modules import
helpers by name (`from support.faults import sale`) instead of from each other
or from conftest.py, which pytest loads itself."""
