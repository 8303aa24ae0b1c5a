with

source as (

    select * from {{ source('crm', 'opportunity_history') }}

),

final as (

    select
        {{ clean_text('opportunity_id') }} as opportunity_id,
        {{ canonical_stage('stage') }} as stage,
        entered_at,
        amount,
        close_date,
        _source_row as source_row

    from source

)

select * from final
