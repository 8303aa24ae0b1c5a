with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

final as (

    select
        account_id,
        account_name,
        industry,
        segment,
        region,
        territory_id,
        owner_rep_id,
        created_date

    from accounts

)

select * from final
