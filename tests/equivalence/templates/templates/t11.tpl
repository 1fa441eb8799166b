%{ if off }x%{ else ~}   
   y %{~ endif }
