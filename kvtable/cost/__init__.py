"""What the table costs a month for a traffic profile, and the on-demand caps that bound the bill.

`kvtable cost` is its command; kvtable.cost.capacity sizes each operation with the contract's own item
sizing, and kvtable.cost.model prices a profile with the price table on file (kvtable/cost/data/).
"""
