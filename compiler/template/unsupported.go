package template

import "fmt"

// dbtMissing are names of dbt's context and of its global project's
// macros (https://docs.getdbt.com/reference/dbt-jinja-functions) that
// kiln does not provide: a template that calls one is told so, rather
// than told to define a macro it expected dbt to have.
var dbtMissing = set(
	// context functions and variables
	"diff_of_two_dicts", "invocation_args_dict", "dbt_metadata_envs", "thread_id", "try_or_compiler_error",
	"write", "render", "doc", "metric", "submit_python_job", "py_current_timestring",
	// the global project's macros
	"get_intervals_between", "get_merge_sql", "get_delete_insert_merge_sql", "get_insert_overwrite_merge_sql",
	"get_incremental_append_sql", "get_incremental_delete_insert_sql", "get_incremental_merge_sql",
	"get_incremental_insert_overwrite_sql", "get_incremental_default_sql", "get_incremental_microbatch_sql",
	"get_quoted_csv", "get_true_sql", "incremental_validate_on_schema_change", "check_for_schema_changes",
	"sync_column_schemas", "process_schema_changes", "alter_column_type", "alter_relation_add_remove_columns",
	"alter_column_comment", "alter_relation_comment", "persist_docs", "get_create_index_sql", "create_indexes",
	"get_create_view_as_sql", "create_view_as", "get_replace_sql", "get_drop_sql", "drop_relation",
	"truncate_relation", "rename_relation", "get_rename_sql", "get_or_create_relation",
	"list_relations_without_caching", "list_schemas", "check_schema_exists", "drop_schema", "information_schema_name",
	"snapshot_merge_sql", "snapshot_staging_table", "build_snapshot_table", "post_snapshot", "strategy_dispatch",
	"snapshot_hash_arguments", "snapshot_timestamp_strategy", "snapshot_check_strategy", "create_csv_table",
	"load_csv_rows", "reset_csv_table", "get_batch_size", "get_binding_char", "get_seed_column_quoted_csv",
	"run_hooks", "make_hook_config", "before_begin", "in_transaction", "after_commit", "set_sql_header",
	"get_select_subquery", "get_assert_columns_equivalent", "assert_columns_equivalent",
	"get_table_columns_and_constraints", "get_column_schema_from_query", "get_empty_schema_sql",
	"get_powers_of_two", "collect_freshness", "get_show_sql", "get_limit_subquery_sql", "get_test_sql",
	"get_unit_test_sql", "make_intermediate_relation", "make_backup_relation", "noop_statement", "get_catalog",
	"get_catalog_relations", "get_relation_last_modified", "should_revoke", "get_revoke_sql", "get_grant_sql",
	"apply_grants", "copy_grants", "call_dcl_statements", "get_dcl_statement_list", "get_show_grant_sql",
	"support_multiple_grantees_per_dcl_statement", "get_rename_table_sql", "get_rename_view_sql",
	"get_drop_index_sql", "get_show_indexes_sql", "get_create_materialized_view_as_sql", "drop_materialized_view",
	"refresh_materialized_view", "get_materialized_view_configuration_changes", "get_create_sql",
	"get_create_backup_sql", "get_create_intermediate_sql", "get_drop_backup_sql", "get_rename_intermediate_sql",
	"get_table_types_sql", "get_fixture_sql", "get_expected_sql", "format_row", "validate_fixture_rows",
	"get_incremental_strategy_macro", "default_last_day",
)

// adapterMissing are methods of dbt's adapter object kiln does not
// provide.
var adapterMissing = set(
	"get_missing_columns", "expand_target_column_types", "create_schema", "drop_schema", "rename_relation",
	"truncate_relation", "already_exists", "get_columns_in_table", "adapter_macro", "cache_added", "cache_dropped",
	"cache_renamed", "commit", "verify_database", "submit_python_job", "get_partitions_metadata",
	"get_incremental_strategy_macro", "get_relation_config", "get_compiler", "valid_incremental_strategies",
	"standardize_grants_dict", "get_column_schema_from_query",
)

// Unsupported implements jinja.Unsupported: a dbt built-in kiln lacks,
// called by name, as dbt.name or as adapter.name.
func (g *globals) Unsupported(ns, name string) (msg, hint string, ok bool) {
	var full string
	switch {
	case ns == "" && dbtMissing[name]:
		full = name
	case ns == InternalPackage && dbtMissing[name]:
		full = ns + "." + name
	case ns == "adapter" && adapterMissing[name]:
		full = "adapter." + name
	default:
		return "", "", false
	}
	return fmt.Sprintf("`%s` is a dbt built-in that kiln does not support yet", full),
		"kiln's dbt context is listed in README.md (Running a dbt project); a macro of this name in the project's macro paths is used instead", true
}
