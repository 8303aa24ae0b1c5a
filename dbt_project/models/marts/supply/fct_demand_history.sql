with

orders as (

    select * from {{ ref('stg_supply__orders') }}

),

calendar as (

    select * from {{ ref('int_months_enumerated') }}

),

monthly_orders as (

    select
        product_id,
        region,
        {{ month_start('order_date') }} as month,
        sum(case when quantity > 0 then quantity else 0 end) as quantity,
        sum(case when quantity < 0 then -quantity else 0 end) as returned_qty,
        sum(net_amount) as net_amount

    from orders
    where order_date <= {{ as_of_date() }}
    group by 1, 2, 3

),

product_regions as (

    select
        product_id,
        region,
        min(month) as first_order_month

    from monthly_orders
    group by 1, 2

),

product_region_months as (

    select
        product_regions.product_id,
        product_regions.region,
        calendar.month

    from product_regions
    inner join calendar
        on product_regions.first_order_month <= calendar.month
    where calendar.month <= {{ as_of_month() }}

),

final as (

    select
        product_region_months.product_id,
        product_region_months.region,
        product_region_months.month,
        coalesce(monthly_orders.quantity, 0) as quantity,
        coalesce(monthly_orders.returned_qty, 0) as returned_qty,
        coalesce(monthly_orders.net_amount, 0) as net_amount

    from product_region_months
    left join monthly_orders
        on
            product_region_months.product_id = monthly_orders.product_id
            and product_region_months.region = monthly_orders.region
            and product_region_months.month = monthly_orders.month

)

select * from final
