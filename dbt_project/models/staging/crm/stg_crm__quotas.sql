with

source as (

    select * from {{ source('crm', 'quotas') }}

),

final as (

    select
        {{ clean_text('rep_id') }} as rep_id,
        {{ month_start('month') }} as month,
        quota_amount,
        _source_row as source_row

    from source

)

select * from final
