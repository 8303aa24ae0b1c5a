with

source as (

    select * from {{ source('crm', 'activities') }}

),

final as (

    select
        {{ clean_text('activity_id') }} as activity_id,
        {{ clean_text('rep_id') }} as rep_id,
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('opportunity_id') }} as opportunity_id,
        {{ canonical_value(
            'activity_type', ['call', 'email', 'meeting', 'demo']
        ) }} as activity_type,
        activity_at,
        duration_minutes,
        _source_row as source_row

    from source

)

select * from final
