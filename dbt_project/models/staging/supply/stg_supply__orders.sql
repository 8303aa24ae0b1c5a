with

source as (

    select * from {{ source('supply', 'orders') }}

),

final as (

    select
        {{ clean_text('order_id') }} as order_id,
        order_date,
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('product_id') }} as product_id,
        {{ clean_text('region') }} as region,
        quantity,
        net_amount,
        _source_row as source_row

    from source

)

select * from final
