{#- kiln's built-in generic data tests. Each returns the failing rows, as in
    dbt: a test passes when its query returns no row. The arguments and names
    are dbt's (https://docs.getdbt.com/reference/resource-properties/data-tests). -#}

{% test not_null(model, column_name) %}
{#- With store_failures, the failing rows whole, as dbt's not_null. -#}
select {{ '*' if should_store_failures() else column_name }}
from {{ model }}
where {{ column_name }} is null
{% endtest %}

{% test unique(model, column_name) %}
select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{% endtest %}

{% test accepted_values(model, column_name, values, quote=True) %}
with all_values as (
    select {{ column_name }} as value_field, count(*) as n_records
    from {{ model }}
    group by {{ column_name }}
)
select value_field, n_records
from all_values
where value_field not in (
    {%- for v in values -%}
    {%- if quote -%}'{{ v | string | replace("'", "''") }}'{%- else -%}{{ v }}{%- endif -%}
    {%- if not loop.last %}, {% endif -%}
    {%- endfor -%}
)
{% endtest %}

{% test relationships(model, column_name, to, field) %}
with child as (
    select {{ column_name }} as from_field
    from {{ model }}
    where {{ column_name }} is not null
),
parent as (
    select {{ field }} as to_field
    from {{ to }}
)
select from_field
from child
left join parent on child.from_field = parent.to_field
where parent.to_field is null
{% endtest %}

{#- The tests below follow dbt-utils (https://github.com/dbt-labs/dbt-utils#generic-tests)
    where it has them. -#}

{% test expression_is_true(model, expression, column_name=None) %}
select *
from {{ model }}
where not ({% if column_name %}{{ column_name }} {% endif %}{{ expression }})
{% endtest %}

{% test accepted_range(model, column_name, min_value=None, max_value=None, inclusive=True) %}
select *
from {{ model }}
where not (
    {%- if min_value is not none %} {{ column_name }} {{ ">=" if inclusive else ">" }} {{ min_value }}{% endif %}
    {%- if min_value is not none and max_value is not none %} and{% endif %}
    {%- if max_value is not none %} {{ column_name }} {{ "<=" if inclusive else "<" }} {{ max_value }}{% endif %}
    {%- if min_value is none and max_value is none %} true{% endif %}
)
{% endtest %}

{% test row_count(model, min=None, max=None, equals=None) %}
select count(*) as row_count
from {{ model }}
having not (
    {%- if equals is not none %} count(*) = {{ equals }}{% else %} true
    {%- if min is not none %} and count(*) >= {{ min }}{% endif %}
    {%- if max is not none %} and count(*) <= {{ max }}{% endif %}{% endif %}
)
{% endtest %}

{% test not_empty(model) %}
select row_count
from (select count(*) as row_count from {{ model }}) counted
where row_count = 0
{% endtest %}

{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(", ") }}, count(*) as n_records
from {{ model }}
group by {{ combination_of_columns | join(", ") }}
having count(*) > 1
{% endtest %}

{% test equal_rowcount(model, compare_model) %}
select model_rows, compare_rows, model_rows - compare_rows as difference
from (
    select
        (select count(*) from {{ model }}) as model_rows,
        (select count(*) from {{ compare_model }}) as compare_rows
) counts
where model_rows != compare_rows
{% endtest %}

{% test recency(model, field, datepart, interval) %}
select max({{ field }}) as most_recent
from {{ model }}
having max({{ field }}) is null
    or max({{ field }}) < now() - interval '{{ interval }} {{ datepart }}'
{% endtest %}

{#- Deviation tests: the query computes today's metric; kiln compares it with
    the value recorded in the last successful run (kiln_history) and fails
    past the thresholds, in percent or absolute. -#}

{% test volume_change(model, max_increase_pct=None, max_decrease_pct=None, baseline_key=None) %}
select count(*) as value
from {{ model }}
{% endtest %}

{% test metric_change(model, expression, max_change_pct=None, max_increase_pct=None, max_decrease_pct=None, tolerance=None, baseline_key=None) %}
select {{ expression }} as value
from {{ model }}
{% endtest %}
