with

source as (

    select * from {{ source('crm', 'leads') }}

),

final as (

    select
        {{ clean_text('lead_id') }} as lead_id,
        created_at,
        {{ clean_text('lead_source') }} as lead_source,
        {{ clean_text('owner_rep_id') }} as owner_rep_id,
        first_contact_at,
        {{ canonical_value('status', ['open', 'qualified', 'disqualified']) }} as status,
        qualified_at,
        {{ clean_text('opportunity_id') }} as opportunity_id,
        _source_row as source_row

    from source

)

select * from final
