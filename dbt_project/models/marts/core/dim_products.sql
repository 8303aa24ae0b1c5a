with

products as (

    select * from {{ ref('stg_supply__products') }}

),

final as (

    select
        product_id,
        product_name,
        family,
        category,
        unit_price,
        unit_cost,
        resource_id,
        hours_per_unit,
        lead_time_days,
        launch_date,
        end_date

    from products

)

select * from final
