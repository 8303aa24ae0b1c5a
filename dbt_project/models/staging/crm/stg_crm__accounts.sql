with

source as (

    select * from {{ source('crm', 'accounts') }}

),

final as (

    select
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('account_name') }} as account_name,
        {{ clean_text('industry') }} as industry,
        {{ canonical_value('segment', ['SMB', 'Mid-Market', 'Enterprise']) }} as segment,
        {{ clean_text('region') }} as region,
        {{ clean_text('territory_id') }} as territory_id,
        {{ clean_text('owner_rep_id') }} as owner_rep_id,
        created_date,
        _source_row as source_row

    from source

)

select * from final
