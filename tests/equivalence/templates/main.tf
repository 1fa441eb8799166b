# Template rendering, compared with Terraform: strip markers (`~`) in template files, heredocs
# and quoted strings, and their interplay with the indentation `<<-` removes.
locals {
  vars = { items = ["x", "y"], m = { a = 1, b = 2 }, on = true, off = false }
  files = ["t01", "t02", "t03", "t04", "t05", "t06", "t07", "t08", "t09", "t10", "t11", "t12"]

  h1 = <<-EOT
    %{ for x in ["1"] ~}
    ${x}
    %{ endfor ~}
  EOT
  h2 = <<-EOT
    list:
    %{ for x in ["a", "b"] ~}
      - ${x}
    %{ endfor ~}
    end
  EOT
  h3 = <<-EOT
    list:
      %{~ for x in ["a", "b"] }
      - ${x}
      %{~ endfor }
    end
  EOT
  h4 = <<EOT
  a
  %{ for x in ["a", "b"] ~}
    ${x}
  %{ endfor ~}
  b
EOT
  h5 = <<-EOT
      indented
    ${"v"}
    EOT
  h6 = <<-EOT
      a

      %{ if true }b%{ endif }
      c
  EOT
  h7 = <<-EOT
    cost: $${price} and %%{ literal }
      next
  EOT
  h8 = <<-EOT
    openapi: "2.0"
    paths:
    %{ for p in ["a", "b"] ~}
      /${p}:
        get:
          operationId: ${p}
    %{ endfor ~}
  EOT
  h9 = <<-EOT
    x%{ if true ~}
      y
    %{~ endif }
    z
  EOT
}

output "files" {
  value = { for f in local.files : f => templatefile("${path.module}/templates/${f}.tpl", local.vars) }
}

output "heredocs" {
  value = [local.h1, local.h2, local.h3, local.h4, local.h5, local.h6, local.h7, local.h8, local.h9]
}

output "quoted" {
  value = [
    "a \n  %{~if true~}  b  %{~endif~}\n c",
    "x  ${~"y"~}  z",
    "%{for i in ["a", "b"]~} ${i} %{~endfor}",
    "p\n\n  ${~"q"}",
  ]
}
