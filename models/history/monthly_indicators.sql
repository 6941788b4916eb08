-- The history of the monthly indicators: one row per month built. Each run
-- computes its month's row (var month) and replaces that month's row only,
-- so a month run again is corrected and the other months stay. The exports
-- hold the current month only, so the table keeps what no run can rebuild:
-- full_refresh=false keeps it through --full-refresh. delete+insert keyed
-- by month rather than microbatch: see "BottleNeck over months" in the
-- README.
-- accepted is false on the row of a month the run's gates rejected that
-- --no-rollback kept (the on-run-end hook history_accept marks it): the
-- deviation gates and the history guard read the other rows only. A row
-- written before the column existed (NULL, added by append_new_columns)
-- reads as accepted.
{{ config(materialized='incremental', incremental_strategy='delete+insert',
          unique_key='month', full_refresh=false, on_schema_change='append_new_columns') }}
select
    cast('{{ var("month") }}-01' as date) as month,
    (select count(*) from {{ ref('stg_erp') }}) as erp_products,
    (select count(*) from {{ ref('stg_erp') }} where stock_status = 'outofstock') as outofstock_products,
    (select count(*) from {{ ref('stg_web') }}) as web_products,
    k.products as joined_products,
    (select count(*) from {{ ref('int_unmatched_liaisons') }}) as unmatched_liaisons,
    k.total_revenue,
    (select cast(avg(price) as decimal(12, 4)) from {{ ref('revenue_by_product') }}) as mean_price,
    k.premium_count,
    k.ordinary_count,
    true as accepted
from {{ ref('kpi_summary') }} as k
