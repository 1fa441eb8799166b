%{ for k, v in m ~}
%{ if v > 1 ~}
big ${k}
%{ else ~}
small ${k}
%{ endif ~}
%{ endfor ~}
