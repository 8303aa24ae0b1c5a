with

source as (

    select * from {{ source('crm', 'territories') }}

),

final as (

    select
        {{ clean_text('territory_id') }} as territory_id,
        {{ clean_text('territory_name') }} as territory_name,
        {{ clean_text('region') }} as region,
        {{ clean_text('owner_rep_id') }} as owner_rep_id,
        annual_potential,
        _source_row as source_row

    from source

)

select * from final
