with

source as (

    select * from {{ source('supply', 'products') }}

),

final as (

    select
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('product_name') }} as product_name,
        {{ clean_text('family') }} as family,
        {{ clean_text('category') }} as category,
        unit_price,
        unit_cost,
        {{ clean_text('resource_id') }} as resource_id,
        hours_per_unit,
        lead_time_days,
        launch_date,
        end_date,
        _source_row as source_row

    from source

)

select * from final
