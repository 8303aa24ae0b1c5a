with

source as (

    select * from {{ source('crm', 'opportunities') }}

),

final as (

    select
        {{ clean_text('opportunity_id') }} as opportunity_id,
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('owner_rep_id') }} as owner_rep_id,
        {{ clean_text('product_id') }} as product_id,
        created_date,
        close_date,
        {{ canonical_stage('stage') }} as stage,
        amount,
        quantity,
        is_closed,
        is_won,
        probability,
        {{ canonical_value(
            'forecast_category',
            ['Pipeline', 'Best Case', 'Commit', 'Closed', 'Omitted']
        ) }} as forecast_category,
        {{ clean_text('lead_source') }} as lead_source,
        _source_row as source_row

    from source

)

select * from final
