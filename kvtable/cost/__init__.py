"""What the table costs a month for a traffic profile, and the on-demand caps that bound the bill.

`kvtable cost` is its command; kvtable.cost.capacity sizes each operation with the contract's own item
sizing, kvtable.cost.inputs reads a profile and the price table on file (kvtable/cost/data/), and
kvtable.cost.model prices the profile.
"""
