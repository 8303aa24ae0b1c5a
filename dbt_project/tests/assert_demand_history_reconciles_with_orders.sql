{#- Nothing is lost between the order lines and the demand history: per
    product and region, the history's gross quantity, returned units and net
    amount equal those of the order lines dated on or before the as-of date
    (positive lines, negative lines as units, all lines). Fails with each
    product and region whose totals differ (e.g. orders older than the month
    calendar). -#}
with

orders as (

    select * from {{ ref('stg_supply__orders') }}

),

demand_history as (

    select * from {{ ref('fct_demand_history') }}

),

order_totals as (

    select
        product_id,
        region,
        sum(case when quantity > 0 then quantity else 0 end) as quantity,
        sum(case when quantity < 0 then -quantity else 0 end) as returned_qty,
        sum(net_amount) as net_amount

    from orders
    where order_date <= {{ as_of_date() }}
    group by 1, 2

),

history_totals as (

    select
        product_id,
        region,
        sum(quantity) as quantity,
        sum(returned_qty) as returned_qty,
        sum(net_amount) as net_amount

    from demand_history
    group by 1, 2

),

differences as (

    select
        order_totals.quantity as order_quantity,
        history_totals.quantity as history_quantity,
        order_totals.returned_qty as order_returned_qty,
        history_totals.returned_qty as history_returned_qty,
        order_totals.net_amount as order_net_amount,
        history_totals.net_amount as history_net_amount,
        coalesce(order_totals.product_id, history_totals.product_id) as product_id,
        coalesce(order_totals.region, history_totals.region) as region

    from order_totals
    full outer join history_totals
        on
            order_totals.product_id = history_totals.product_id
            and order_totals.region = history_totals.region
    where
        order_totals.product_id is null
        or history_totals.product_id is null
        or abs(order_totals.quantity - history_totals.quantity) > 1e-6
        or abs(order_totals.returned_qty - history_totals.returned_qty) > 1e-6
        or order_totals.net_amount <> history_totals.net_amount

)

select * from differences
