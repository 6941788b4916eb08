package template

// The Python type names of the values templates see (jinja.PyTyped), as
// type(x).__name__ gives them in dbt: what messages call a value ("an int
// and a date"), never the Go type's name.

// PyType is "date" for a date, "datetime" otherwise.
func (d dateTime) PyType() string {
	if d.dateOnly {
		return "date"
	}
	return "datetime"
}

// PyType is "tzinfo": pytz's zones are datetime.tzinfo's.
func (tzInfo) PyType() string { return "tzinfo" }

// PyType is "type": datetime.datetime is a class.
func (datetimeClass) PyType() string { return "type" }

// PyType is "type": datetime.date is a class.
func (dateClass) PyType() string { return "type" }

// PyType is "module": modules.datetime, modules.pytz, ...
func (getter) PyType() string { return "module" }

// PyType is "module": modules.re.
func (reModule) PyType() string { return "module" }

// PyType is "set".
func (*pySet) PyType() string { return "set" }

// PyType is "Relation" (dbt's BaseRelation and the adapters' subclasses).
func (Relation) PyType() string { return "Relation" }

// PyType is "Column" (dbt's adapter Column).
func (Column) PyType() string { return "Column" }

// PyType is "Table" (agate's, run_query's result).
func (*Table) PyType() string { return "Table" }

// PyType is "Row" (an agate row).
func (*tableRow) PyType() string { return "Row" }

// PyType is "MappedSequence" (agate's table.columns).
func (tableColumns) PyType() string { return "MappedSequence" }

// PyType is "Column" (an agate column).
func (tableColumn) PyType() string { return "Column" }

// PyType is "type": api.Relation is a class.
func (relationClass) PyType() string { return "type" }

// PyType is "type": api.Column is a class.
func (columnClass) PyType() string { return "type" }

// PyType is "dict": dbt's api is a dict of Relation and Column.
func (api) PyType() string { return "dict" }

// PyType is "dict": dbt's exceptions is a dict of functions.
func (exceptions) PyType() string { return "dict" }

// PyType is "dict": dbt's builtins is a dict of the context's members.
func (builtins) PyType() string { return "dict" }

// PyType is "dict": dbt's context is a dict.
func (contextObj) PyType() string { return "dict" }

// PyType is "Config" (dbt's config object, callable).
func (configObj) PyType() string { return "Config" }

// PyType is "DatabaseWrapper" (dbt's adapter object).
func (*adapterObj) PyType() string { return "DatabaseWrapper" }

// PyType is "AdapterResponse".
func (adapterResponse) PyType() string { return "AdapterResponse" }

// PyType is "MacroNamespace": a package's macros (dbt_utils).
func (namespace) PyType() string { return "MacroNamespace" }
