select
    order_date,
    count(*) as orders,
    sum(amount) as revenue
from {{ ref('raw_orders') }}
group by order_date
order by order_date
