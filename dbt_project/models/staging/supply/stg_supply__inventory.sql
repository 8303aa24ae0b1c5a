with

source as (

    select * from {{ source('supply', 'inventory') }}

),

final as (

    select
        snapshot_date,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('location') }} as location,
        on_hand_qty,
        _source_row as source_row

    from source

)

select * from final
