"""The single-table design as data: the key design, the item types, attribute values, pages, the
contract's errors and limits, and the migrations whose read defaults the contract applies."""
