{#- kiln's built-in generic data tests. Each returns the failing rows, as in
    dbt: a test passes when its query returns no row. The arguments and names
    are dbt's (https://docs.getdbt.com/reference/resource-properties/data-tests). -#}

{% test not_null(model, column_name) %}
select {{ column_name }}
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
