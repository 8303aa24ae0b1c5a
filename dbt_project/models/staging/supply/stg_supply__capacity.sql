with

source as (

    select * from {{ source('supply', 'capacity') }}

),

final as (

    select
        {{ clean_text('resource_id') }} as resource_id,
        {{ month_start('month') }} as month,
        available_hours,
        _source_row as source_row

    from source

)

select * from final
