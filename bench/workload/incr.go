package workload

import (
	"fmt"
	"time"
)

// Incremental workload (issue 15): a sales fact of IncrMonths months
// built by microbatch, one batch a month, and a monthly summary built by
// microbatch over it.
const (
	// IncrMonths is the number of monthly batches of the fact.
	IncrMonths = 36
	// IncrRows is the number of events (rows of the fact) over those
	// months.
	IncrRows = 10_500_000
	// IncrProducts is the number of products of the dimension.
	IncrProducts = 20_000
)

// IncrBegin is the start of the first month of the incremental workload;
// IncrEnd, the end of its last (--event-time-end of its builds).
var (
	IncrBegin = time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	IncrEnd   = IncrBegin.AddDate(0, IncrMonths, 0)
)

// Incr writes the incremental workload (prices are decimals, so that
// sums do not depend on the order DuckDB's threads add them in, and two
// builds of the same rows give the same tables) in dir with rows events over
// months months from IncrBegin: sources raw.events (id, sold_at,
// store_id, product_id, qty, unit_price; event_time sold_at, in time
// order as an event log is appended) and raw.products (product_id,
// category, cost, list_price), made by Setup; model fct_sales, a
// microbatch model by month (lookback 0) joining each event to its
// product (one row per event, with its amount and margin); model
// sales_monthly, a microbatch model by month over fct_sales (revenue and
// margin per store and category). Every build passes --event-time-end
// (IncrBegin + months), so the batches do not depend on the day it runs.
func Incr(dir string, rows, months int) (*Project, error) {
	p, err := newProject("incr", dir)
	if err != nil {
		return nil, err
	}
	begin := IncrBegin.Format("2006-01-02")
	f := files{}
	f.add("project.yml", projectYML("incr"))
	f.add("models/sources.yml", `version: 2
sources:
  - name: raw
    schema: raw
    description: Made by the harness's setup statements.
    tables:
      - name: events
        config: {event_time: sold_at}
      - name: products
`)
	f.add("models/fct_sales.sql", fmt.Sprintf(`{{ config(materialized='incremental', incremental_strategy='microbatch',
          event_time='sold_at', batch_size='month', begin='%s', lookback=0) }}
select e.id as sale_id, e.sold_at, e.store_id, e.product_id, p.category,
    e.qty, e.unit_price, e.qty * e.unit_price as amount,
    e.qty * (e.unit_price - p.cost) as margin,
    e.unit_price < p.list_price * 0.9 as discounted
from {{ source('raw', 'events') }} as e
join {{ source('raw', 'products') }} as p on p.product_id = e.product_id
`, begin))
	f.add("models/sales_monthly.sql", fmt.Sprintf(`{{ config(materialized='incremental', incremental_strategy='microbatch',
          event_time='month_start', batch_size='month', begin='%s', lookback=0) }}
select cast(date_trunc('month', sold_at) as timestamp) as month_start, store_id, category,
    count(*) as sales, sum(qty) as units, sum(amount) as revenue, sum(margin) as margin,
    count(*) filter (where discounted) as discounted_sales
from {{ ref('fct_sales') }}
group by all
`, begin))
	if err := f.write(p.Dir); err != nil {
		return nil, err
	}
	p.Models = 2
	span := int64(IncrBegin.AddDate(0, months, 0).Sub(IncrBegin) / time.Second)
	p.Setup = []string{
		"create schema if not exists raw",
		fmt.Sprintf(`create or replace table raw.products as
select range as product_id, 'cat' || (range %% 40) as category,
    cast((1 + hash(range * 7 + 1) %% 9000) / 100 as decimal(12,2)) as cost,
    cast((1 + hash(range * 7 + 2) %% 20000) / 100 + 5 as decimal(12,2)) as list_price
from range(%d)`, IncrProducts),
		// Events in time order, spread evenly over the months (range * span
		// / rows seconds after begin).
		fmt.Sprintf(`create or replace table raw.events as
select range as id,
    timestamp '%s' + to_seconds(cast(range * %d // %d as bigint)) as sold_at,
    cast(hash(range * 3 + 1) %% 200 as integer) as store_id,
    cast(hash(range * 3 + 2) %% %d as bigint) as product_id,
    cast(1 + hash(range * 3 + 3) %% 12 as integer) as qty,
    cast((1 + hash(range * 5 + 4) %% 25000) / 100 as decimal(12,2)) as unit_price
from range(%d)`, IncrBegin.Format("2006-01-02 15:04:05"), span, rows, IncrProducts, rows),
	}
	return p, nil
}

// IncrChange returns the statements that change the input of one month
// of the incremental workload, month (0-based) after IncrBegin: the
// quantity of one event in ten of that month is raised by one, and one
// event in a hundred is removed. round varies the events touched, so
// that successive changes differ.
func IncrChange(month, round int) []string {
	from := IncrBegin.AddDate(0, month, 0).Format("2006-01-02")
	to := IncrBegin.AddDate(0, month+1, 0).Format("2006-01-02")
	in := fmt.Sprintf("sold_at >= timestamp '%s' and sold_at < timestamp '%s'", from, to)
	return []string{
		fmt.Sprintf("update raw.events set qty = qty + 1 where %s and (id + %d) %% 10 = 0", in, round),
		fmt.Sprintf("delete from raw.events where %s and (id + %d) %% 100 = 7", in, round),
	}
}
