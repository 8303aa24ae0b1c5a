with

source as (

    select * from {{ source('supply', 'open_supply') }}

),

final as (

    select
        {{ clean_text('supply_id') }} as supply_id,
        {{ clean_text('product_id') }} as product_id,
        due_date,
        quantity,
        {{ canonical_value('supply_type', ['purchase', 'production']) }} as supply_type,
        _source_row as source_row

    from source

)

select * from final
